public import Domain
public import Hummingbird

extension JSONValue: ResponseEncodable {}
