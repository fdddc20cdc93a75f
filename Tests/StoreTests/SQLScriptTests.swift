import Testing
@testable import Store

struct SQLScriptTests {
    @Test func splitsOnSemicolonsOutsideQuotesAndComments() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'semi;colon');
            /* block; comment /* nested; */ still comment */
            INSERT INTO a VALUES ('it''s; fine');
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 2; END; $body$;
            SELECT "odd;name" FROM a WHERE x = $1
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 5)
        #expect(statements[0].hasSuffix("DEFAULT 'semi;colon')"))
        #expect(statements[1].hasSuffix("INSERT INTO a VALUES ('it''s; fine')"))
        #expect(statements[1].hasPrefix("/* block; comment /* nested; */ still comment */"))
        #expect(statements[2].hasSuffix("$$ SELECT 1; $$"))
        #expect(statements[3].hasSuffix("END; $body$"))
        #expect(statements[4] == #"SELECT "odd;name" FROM a WHERE x = $1"#)
    }

    @Test func ignoresEmptyStatementsAndTrailingComments() {
        #expect(SQLScript.statements(in: ";;  ;\n-- only a comment\n").isEmpty)
        #expect(SQLScript.statements(in: "SELECT 1;\n-- done") == ["SELECT 1"])
    }

    @Test func unterminatedQuoteKeepsTheRestInOneStatement() {
        #expect(SQLScript.statements(in: "SELECT 'abc; def") == ["SELECT 'abc; def"])
    }
}
