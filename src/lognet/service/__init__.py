"""lognet.service"""
