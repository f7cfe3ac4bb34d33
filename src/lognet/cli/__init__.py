"""lognet.cli"""
