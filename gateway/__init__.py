"""The web gateway: the portal's only HTTP entry point; it renders what the services answer on the bus."""
