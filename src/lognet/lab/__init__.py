"""lognet.lab"""
