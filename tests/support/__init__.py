"""Helpers shared by the test suite: free ports, real processes, a real Prometheus."""
