"""trim's transports: the HTTP and gRPC servers over its endpoint Set."""
