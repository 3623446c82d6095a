"""Bus contracts: one module per owning party, subject names beside their message models."""
