import Foundation
import _FuzzTargets

// robust-fuzz: libFuzzer harnesses for every input format robust reads (see FuzzTarget.all).
//
//   robust-fuzz TARGET [libFuzzer flags] [CORPUS_DIR...]   in a fuzzing build (`make fuzz`)
//   robust-fuzz TARGET FILE...                             in any build: replays saved inputs
//   robust-fuzz --list                                     the targets and their seed folders
//
// A fuzzing build is compiled with `-sanitize=fuzzer,address -D FUZZING` and linked with lld
// (gold fails on ASan's symbols); libFuzzer's `LLVMFuzzerRunDriver` then owns the process.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("robust-fuzz: \(message)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
if arguments.count < 2 || arguments[1] == "--help" {
    print("usage: robust-fuzz TARGET [libFuzzer flags] [CORPUS_DIR...] | robust-fuzz TARGET FILE... | robust-fuzz --list")
    exit(arguments.count < 2 ? 2 : 0)
}
if arguments[1] == "--list" {
    for target in FuzzTarget.all { print("\(target.name)\t\(target.seeds.joined(separator: ","))\t\(target.input)") }
    exit(0)
}
let chosen = FuzzTarget.named(arguments[1])
guard let target = chosen else {
    fail("unknown target '\(arguments[1])'; targets: \(FuzzTarget.all.map(\.name).joined(separator: ", "))")
}
// Targets that must go through a file (ONNX external data is resolved next to the model) get a private folder.
let scratch = NSTemporaryDirectory() + "/robust-fuzz-\(getpid())"
try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)

#if FUZZING
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: FuzzCallback) -> Int32

// libFuzzer reads its own flags and corpus folders from argv; the target's name is ours, so drop it.
var argc = CommandLine.argc - 1
var argv = CommandLine.unsafeArgv
argv[1] = argv[0]
var shifted = argv + 1
// A C callback captures nothing; `chosen` and `scratch` are this file's globals (a `guard let` is not).
let status = LLVMFuzzerRunDriver(&argc, &shifted) { data, size in
    _ = chosen?.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [], scratch: scratch)
    return 0
}
try? FileManager.default.removeItem(atPath: scratch)
exit(status)
#else
for path in arguments.dropFirst(2) {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    if let error = target.run([UInt8](data), scratch: scratch) {
        print("\(path): refused: \(error)")
    } else {
        print("\(path): accepted")
    }
}
try? FileManager.default.removeItem(atPath: scratch)
#endif
