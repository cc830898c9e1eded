import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libjpeg reports errors through `error_exit`, which must not return into the library; C code
// longjmps out, which Swift cannot do. So every libjpeg call runs on its own short-lived
// thread, and `error_exit` ends that thread with `pthread_exit` after recording the message.
// The thread's frames are only libjpeg's and a few Swift functions that hold no references
// (all state is in `JPEGJob`, manually allocated), so abandoning them leaks nothing; the
// calling thread then calls `jpeg_destroy_*`, which frees libjpeg's pools, as the setjmp
// recipe in libjpeg's example.c does. Warnings (corrupt or truncated entropy data, which libjpeg
// would otherwise paper over with gray) are treated as errors the same way.

/// Everything one libjpeg call needs, in manually managed memory shared with the job thread.
private struct JPEGJob {
    var errorManager = jpeg_error_mgr()
    var decompress = jpeg_decompress_struct()
    var compress = jpeg_compress_struct()
    var messageBuffer: UnsafeMutablePointer<CChar>? = nil
    var failed = false
    var input: UnsafePointer<UInt8>? = nil
    var inputCount = 0
    var pixels: UnsafeMutablePointer<UInt8>? = nil
    var width = 0
    var height = 0
    var channels = 0
    var quality: Int32 = 90
    var encoded: UnsafeMutablePointer<UInt8>? = nil
    var encodedCount: UInt = 0
}

/// Records libjpeg's message for the job and ends the job thread without returning to libjpeg.
private func failJob(_ cinfo: j_common_ptr?) -> Never {
    if let cinfo, let job = cinfo.pointee.client_data?.assumingMemoryBound(to: JPEGJob.self) {
        job.pointee.failed = true
        if let buffer = job.pointee.messageBuffer {
            cinfo.pointee.err.pointee.format_message?(cinfo, buffer)
        }
    }
    pthread_exit(nil)
}

/// Installs the thread-ending error handlers on the job's error manager.
private func installErrorHandlers(_ job: UnsafeMutablePointer<JPEGJob>) -> UnsafeMutablePointer<jpeg_error_mgr> {
    let manager = job.pointer(to: \.errorManager)!
    _ = jpeg_std_error(manager)
    manager.pointee.error_exit = { failJob($0) }
    manager.pointee.emit_message = { cinfo, level in if level < 0 { failJob(cinfo) } }
    manager.pointee.output_message = { _ in }
    return manager
}

/// Runs `body` on a fresh thread and waits for it; the thread may end early through `failJob`.
private func runJob(_ job: UnsafeMutablePointer<JPEGJob>,
                    _ body: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?) -> Bool {
    #if canImport(Glibc)
    var thread = pthread_t()
    guard pthread_create(&thread, nil, body, UnsafeMutableRawPointer(job)) == 0 else { return false }
    pthread_join(thread, nil)
    return true
    #else
    var thread: pthread_t?
    guard pthread_create(&thread, nil, body, UnsafeMutableRawPointer(job)) == 0, let thread else { return false }
    pthread_join(thread, nil)
    return true
    #endif
}

/// Decodes a baseline or progressive JPEG with libjpeg to gray (1-component files) or RGB.
///
/// Corrupt, truncated or unsupported files (CMYK) become `DatasetError`s; see the note at the
/// top of this file for how libjpeg's non-returning errors are contained. `path` names the file
/// in errors.
public func decodeJPEG(_ data: [UInt8], path: String) throws -> DecodedImage {
    func fail(_ reason: String) -> DatasetError {
        .corrupt(path: path, reason: reason, fix: "Re-encode the image as a baseline 8-bit gray or RGB JPEG, or remove it")
    }
    guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else {
        throw fail("not a JPEG file (no SOI marker)")
    }
    let job = UnsafeMutablePointer<JPEGJob>.allocate(capacity: 1)
    job.initialize(to: JPEGJob())
    let messageBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(JMSG_LENGTH_MAX))
    messageBuffer.initialize(repeating: 0, count: Int(JMSG_LENGTH_MAX))
    job.pointee.messageBuffer = messageBuffer
    defer {
        jpeg_destroy_decompress(job.pointer(to: \.decompress)!)
        free(job.pointee.pixels)
        messageBuffer.deallocate()
        job.deinitialize(count: 1)
        job.deallocate()
    }
    let started: Bool = data.withUnsafeBufferPointer { input in
        job.pointee.input = input.baseAddress
        job.pointee.inputCount = input.count
        return runJob(job) { raw in
            decodeOnJobThread(raw!.assumingMemoryBound(to: JPEGJob.self))
            return nil
        }
    }
    guard started else { throw fail("could not start a decoder thread") }
    if job.pointee.failed {
        throw fail("not a readable JPEG (libjpeg: \(String(cString: messageBuffer)))")
    }
    guard let pixels = job.pointee.pixels else { throw fail("unsupported JPEG") }
    let count = job.pointee.width * job.pointee.height * job.pointee.channels
    return DecodedImage(width: job.pointee.width, height: job.pointee.height, channels: job.pointee.channels,
                        bytes: Array(UnsafeBufferPointer(start: pixels, count: count)))
}

/// The decoder proper; runs on the job thread and touches only `job`'s manually managed memory.
private func decodeOnJobThread(_ job: UnsafeMutablePointer<JPEGJob>) {
    let cinfo = job.pointer(to: \.decompress)!
    cinfo.pointee.err = installErrorHandlers(job)
    cinfo.pointee.client_data = UnsafeMutableRawPointer(job)
    jpeg_CreateDecompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
    jpeg_mem_src(cinfo, job.pointee.input, UInt(job.pointee.inputCount))
    _ = jpeg_read_header(cinfo, 1)
    let channels: Int
    switch cinfo.pointee.jpeg_color_space {
    case JCS_GRAYSCALE:
        channels = 1
        cinfo.pointee.out_color_space = JCS_GRAYSCALE
    case JCS_RGB, JCS_YCbCr:
        channels = 3
        cinfo.pointee.out_color_space = JCS_RGB
    default:
        return // CMYK/YCCK: `pixels` stays nil and the caller reports it as unsupported
    }
    let width = Int(cinfo.pointee.image_width), height = Int(cinfo.pointee.image_height)
    guard width > 0, height > 0, width * height <= maxImagePixels else { return }
    _ = jpeg_start_decompress(cinfo)
    guard Int(cinfo.pointee.output_components) == channels else { return }
    let pixels = malloc(width * height * channels)!.assumingMemoryBound(to: UInt8.self)
    job.pointee.pixels = pixels
    var row: JSAMPROW? = nil
    while Int(cinfo.pointee.output_scanline) < height {
        row = pixels + Int(cinfo.pointee.output_scanline) * width * channels
        _ = jpeg_read_scanlines(cinfo, &row, 1)
    }
    _ = jpeg_finish_decompress(cinfo)
    job.pointee.width = width
    job.pointee.height = height
    job.pointee.channels = channels
}

/// Encodes 8-bit JPEG bytes from floats in [0,1] (C×H×W, 1 or 3 channels) at `quality` 1...100.
///
/// robust reads JPEG folders, so tests need real JPEG files to read; this makes them with the
/// same library. Lossy: decoding gives back values within a few levels of the input.
public func encodeJPEG(pixels: [Float], width: Int, height: Int, channels: Int, quality: Int = 95) -> [UInt8] {
    precondition(channels == 1 || channels == 3, "encodeJPEG: channels must be 1 or 3, got \(channels)")
    precondition(width > 0 && height > 0 && pixels.count == width * height * channels,
                 "encodeJPEG: \(pixels.count) values for \(channels)×\(height)×\(width)")
    var interleaved = interleave(pixels, width: width, height: height, channels: channels)
    let job = UnsafeMutablePointer<JPEGJob>.allocate(capacity: 1)
    job.initialize(to: JPEGJob())
    let messageBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(JMSG_LENGTH_MAX))
    messageBuffer.initialize(repeating: 0, count: Int(JMSG_LENGTH_MAX))
    job.pointee.messageBuffer = messageBuffer
    job.pointee.width = width
    job.pointee.height = height
    job.pointee.channels = channels
    job.pointee.quality = Int32(min(max(quality, 1), 100))
    defer {
        jpeg_destroy_compress(job.pointer(to: \.compress)!)
        free(job.pointee.encoded)
        messageBuffer.deallocate()
        job.deinitialize(count: 1)
        job.deallocate()
    }
    let started: Bool = interleaved.withUnsafeMutableBufferPointer { buffer in
        job.pointee.pixels = buffer.baseAddress
        defer { job.pointee.pixels = nil }
        return runJob(job) { raw in
            encodeOnJobThread(raw!.assumingMemoryBound(to: JPEGJob.self))
            return nil
        }
    }
    precondition(started && !job.pointee.failed,
                 "encodeJPEG: libjpeg failed: \(String(cString: messageBuffer))")
    guard let encoded = job.pointee.encoded else { preconditionFailure("encodeJPEG: no output") }
    return Array(UnsafeBufferPointer(start: encoded, count: Int(job.pointee.encodedCount)))
}

/// The encoder proper; runs on the job thread and touches only `job`'s manually managed memory.
private func encodeOnJobThread(_ job: UnsafeMutablePointer<JPEGJob>) {
    let cinfo = job.pointer(to: \.compress)!
    cinfo.pointee.err = installErrorHandlers(job)
    cinfo.pointee.client_data = UnsafeMutableRawPointer(job)
    jpeg_CreateCompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
    jpeg_mem_dest(cinfo, job.pointer(to: \.encoded)!, job.pointer(to: \.encodedCount)!)
    let width = job.pointee.width, channels = job.pointee.channels
    cinfo.pointee.image_width = JDIMENSION(width)
    cinfo.pointee.image_height = JDIMENSION(job.pointee.height)
    cinfo.pointee.input_components = Int32(channels)
    cinfo.pointee.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE
    jpeg_set_defaults(cinfo)
    jpeg_set_quality(cinfo, job.pointee.quality, 1)
    jpeg_start_compress(cinfo, 1)
    var row: JSAMPROW? = nil
    while Int(cinfo.pointee.next_scanline) < job.pointee.height {
        row = job.pointee.pixels! + Int(cinfo.pointee.next_scanline) * width * channels
        _ = jpeg_write_scanlines(cinfo, &row, 1)
    }
    jpeg_finish_compress(cinfo)
}
