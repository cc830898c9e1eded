import Files
import Foundation
import Metrics
import XCTest

/// `writeAtomically` creates and replaces files and leaves no temporary behind.
final class WriteAtomicallyTests: XCTestCase {
    func testCreatesThenReplacesAFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("results.json").path
        try writeAtomically(Data("first".utf8), to: path)
        try writeAtomically(Data("second".utf8), to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("second".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["results.json"])
    }

    func testAFolderThatDoesNotExistThrows() {
        XCTAssertThrowsError(try writeAtomically(Data("x".utf8), to: "/nonexistent-robust-folder/results.json"))
    }

    /// One-character paths (`--out 0`) trap in NSString.deletingLastPathComponent on Linux; this does not.
    func testParentDirectory() {
        for (path, parent) in [("0", "."), ("a/b/c", "a/b"), ("a/b/", "a"), ("/c", "/"), ("/", "/"), ("", "."), ("./x", "."), ("a//b", "a/")] {
            XCTAssertEqual(parentDirectory(of: path), parent, path)
        }
    }
}
