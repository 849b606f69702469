"""Meta webhook deliveries as both sides need them: the web app claims them, workers release them."""
