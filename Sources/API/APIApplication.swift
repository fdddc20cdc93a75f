public import Hummingbird
public import Logging
public import ServiceLifecycle

/// Assembles the `obotcall api` HTTP application from its dependencies.
public enum APIApplication {
    /// The router with every route and middleware, for tests (`app.test(.router)`) and for `make`.
    public static func router(readiness: [ReadinessCheck]) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        HealthRoutes<BasicRequestContext>(checks: readiness).register(on: router)
        return router
    }

    /// The application, with `services` (database and Redis clients) started before the server and
    /// stopped after it.
    public static func make(
        configuration: APIConfiguration,
        readiness: [ReadinessCheck],
        services: [any Service],
        logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: router(readiness: readiness),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "obotcall"),
            services: services,
            logger: logger
        )
    }
}
