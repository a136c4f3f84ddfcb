"""Deterministic demo data: a retailer selling online, in stores and through a WeChat mini-program."""
