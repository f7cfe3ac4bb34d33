"""lognet.domain"""
