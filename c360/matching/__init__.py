"""Offline work on the matching model: training it with Splink (``train``)."""
