/// Domain states kept in text columns (each column's CHECK lists the same values): written as
/// their raw values, and read back through ``stored(_:as:column:)``, so a value outside the enum
/// fails the read with a clear error instead of travelling on as an unknown string.
func stored<State: RawRepresentable<String>>(_ raw: String, as type: State.Type, column: String) throws(StoreError) -> State {
    guard let state = State(rawValue: raw) else {
        throw StoreError(kind: .other, message: "\(column) holds '\(raw)', which this version does not know")
    }
    return state
}
