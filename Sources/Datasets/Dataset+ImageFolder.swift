import Foundation

extension Dataset {
    /// File extensions read by `loadImageFolder`, compared case-insensitively.
    public static let imageFolderExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Loads `ROOT/<class>/<image>` folders: one class per subdirectory, PNG and JPEG files inside.
    ///
    /// Classes are the subdirectories sorted by name (byte order, so labels do not depend on the
    /// locale) and files are sorted by name within a class, which makes sample indices stable
    /// across machines. All images must share the first image's size and channel count; hidden
    /// entries and other file types are skipped.
    public static func loadImageFolder(root: String, name: String? = nil) throws -> Dataset {
        let datasetName = name ?? (root as NSString).lastPathComponent
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.missing(dataset: datasetName, path: root,
                                       hint: "Pass --data DIR laid out as DIR/<class>/<image>.png|jpg")
        }
        func listing(_ dir: String) throws -> [String] {
            do {
                return try fileManager.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }
                    .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            } catch {
                throw DatasetError.corrupt(path: dir, reason: "cannot list the directory",
                                           fix: "Check that it exists and is readable")
            }
        }
        let classNames = try listing(root).filter {
            var isDir: ObjCBool = false
            return fileManager.fileExists(atPath: (root as NSString).appendingPathComponent($0), isDirectory: &isDir)
                && isDir.boolValue
        }
        var pixels: [UInt8] = []
        var labels: [Int] = []
        var first: (path: String, image: DecodedImage)?
        for (label, className) in classNames.enumerated() {
            let classDir = (root as NSString).appendingPathComponent(className)
            for file in try listing(classDir)
            where imageFolderExtensions.contains((file as NSString).pathExtension.lowercased()) {
                let path = (classDir as NSString).appendingPathComponent(file)
                let image = try decodeImageFile(path)
                if let first {
                    guard image.width == first.image.width, image.height == first.image.height,
                          image.channels == first.image.channels else {
                        throw DatasetError.mismatchedImage(path: path, size: image.sizeDescription,
                                                           expected: first.image.sizeDescription, firstPath: first.path)
                    }
                } else {
                    first = (path, image)
                    pixels.reserveCapacity(image.bytes.count * 64)
                }
                appendPlanar(image, to: &pixels)
                labels.append(label)
            }
        }
        guard let first else {
            throw DatasetError.missing(dataset: datasetName, path: (root as NSString).appendingPathComponent("<class>/<image>.png"),
                                       hint: "Put images in one subdirectory per class (PNG or JPEG)")
        }
        return Dataset(name: datasetName, classNames: classNames, channels: first.image.channels,
                       height: first.image.height, width: first.image.width, pixels: pixels, labels: labels)
    }

    /// Decodes one PNG or JPEG file, choosing the codec by content (magic bytes), not by extension.
    public static func decodeImageFile(_ path: String) throws -> DecodedImage {
        guard let bytes = try FileBytes.read(path) else {
            throw DatasetError.missing(dataset: "image", path: path, hint: "Check the path")
        }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(bytes, path: path) }
        if bytes.starts(with: [0xFF, 0xD8]) { return try decodeJPEG(bytes, path: path) }
        throw DatasetError.corrupt(path: path, reason: "neither a PNG nor a JPEG file (unknown signature)",
                                   fix: "Convert it to PNG or JPEG or remove it")
    }

    /// Appends an interleaved H×W×C image as C×H×W planes, the layout of `pixels`.
    private static func appendPlanar(_ image: DecodedImage, to pixels: inout [UInt8]) {
        let plane = image.width * image.height
        for c in 0..<image.channels {
            for p in 0..<plane {
                pixels.append(image.bytes[p * image.channels + c])
            }
        }
    }
}
