package t2i.gateway;

import io.grpc.ServerServiceDefinition;

/**
 * The gRPC service wrapped in the interceptors its gRPC server applies (metrics, API key, call
 * limit), for serving it in-process to the web API with the same rules.
 */
record InterceptedService(ServerServiceDefinition definition) {}
