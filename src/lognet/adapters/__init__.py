"""lognet.adapters"""
