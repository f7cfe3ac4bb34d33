"""lognet.api"""
