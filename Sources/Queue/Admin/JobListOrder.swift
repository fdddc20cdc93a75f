/// Which end of a state's list a page of jobs starts from (the admin listings).
public enum JobListOrder: String, Sendable, CaseIterable {
    case newestFirst
    case oldestFirst
}
