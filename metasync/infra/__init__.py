"""Infrastructure every part of metasync shares: MongoDB, Redis, locks, logging, encryption."""
