"""Operator tooling: the ``c360`` command, local service provisioning and the demo data generator."""
