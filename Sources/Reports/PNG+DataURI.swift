import Foundation

/// A `data:` URI for embedding a PNG in the report, so the HTML file is self-contained.
func pngDataURI(_ png: [UInt8]) -> String {
    "data:image/png;base64," + Data(png).base64EncodedString()
}
