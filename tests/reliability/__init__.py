"""Helpers for the reliability tests: database faults, real web processes, load."""
