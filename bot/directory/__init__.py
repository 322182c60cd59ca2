"""The network's directory of providers."""
