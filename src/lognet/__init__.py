"""lognet: a network manager for virtualization data centers."""

__version__ = "0.1.0"
