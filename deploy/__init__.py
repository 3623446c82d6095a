"""Running the portal: the dev stack, the hospital simulator, NATS and database provisioning."""
