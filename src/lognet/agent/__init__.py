"""lognet.agent"""
