"""kit: go-kit's discipline for Python microservices. Import the packages you need: `kit.endpoint`,
`kit.transport.http`, `kit.transport.grpc`, `kit.sd`, `kit.sd.lb`, `kit.sd.consul`, `kit.log`, `kit.metrics`."""
