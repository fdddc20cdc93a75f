import ArgumentParser

/// The one executable of the platform: `obotcall api`, `obotcall worker`, `obotcall migrate`, …
@main
struct Obotcall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "obotcall",
        abstract: "Obotcall jobs: a BullMQ-compatible job platform with a REST API, workers and tenant-isolated storage.",
        subcommands: [
            APICommand.self,
            MigrateCommand.self,
            WorkerCommand.self,
            QueueCommand.self,
            TenantCommand.self,
            TokenCommand.self,
        ]
    )
}
