"""lognet.web"""
