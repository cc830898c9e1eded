/// The shell every report page shares: doctype, metadata, inline style, navigation.
///
/// Self-contained by construction: the style is inline, pictures are `data:` URIs, there is no
/// script, and a Content-Security-Policy forbids loading anything else, so the file can be
/// mailed, archived as a CI artifact or opened offline and look the same.
struct HTMLPage {
    /// Raw text; escaped here.
    var title: String
    /// Section ids and their headings for the navigation bar (raw text).
    var navigation: [(id: String, title: String)]
    /// Already-escaped HTML of the sections.
    var body: String

    func render() -> String {
        let links = navigation.map { "<a href=\"#\(escapeHTML($0.id))\">\(escapeHTML($0.title))</a>" }.joined(separator: "\n")
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
        <title>\(escapeHTML(title))</title>
        <style>
        \(Self.style)
        </style>
        </head>
        <body>
        <nav>
        \(links)
        </nav>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// One quiet style: system fonts, a narrow measure for text, tables with tabular figures.
    static let style = """
    :root { --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --soft: #f5f7fa; --accent: #4e79a7; }
    * { box-sizing: border-box; }
    body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    nav { position: sticky; top: 0; z-index: 1; background: rgba(255,255,255,.95); border-bottom: 1px solid var(--line); padding: .5rem 2rem; font-size: 13px; }
    nav a { color: var(--muted); text-decoration: none; margin-right: 1.2rem; }
    nav a:hover { color: var(--accent); }
    main { max-width: 1040px; margin: 0 auto; padding: 1rem 2rem 4rem; }
    h1 { font-size: 26px; margin: 1rem 0 .25rem; letter-spacing: -.01em; }
    h2 { font-size: 19px; margin: 2.5rem 0 .75rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
    h3 { font-size: 15px; margin: 1.5rem 0 .5rem; }
    p.lead, p.note { color: var(--muted); margin: .25rem 0 1rem; }
    code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
    .meta { display: grid; grid-template-columns: minmax(0, 1.7fr) minmax(0, 1fr) minmax(0, 1fr); gap: .5rem 2rem; margin: 1rem 0; }
    .meta dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
    .meta dt { color: var(--muted); }
    .meta dd { margin: 0; overflow-wrap: anywhere; }
    .meta dd .mono { font-size: 11.5px; word-break: break-all; }
    .meta h3 { margin: .5rem 0 .25rem; font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
    .figures { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1.25rem 0; }
    .figure { background: var(--soft); border-radius: 8px; padding: .75rem 1rem; min-width: 180px; }
    .figure .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
    .figure .what { color: var(--muted); font-size: 13px; }
    table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: .5rem 0 1rem; }
    th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-weight: 600; color: var(--muted); background: var(--soft); }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    tr.worst td { font-weight: 600; }
    .swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .4em; vertical-align: -.05em; }
    svg.chart { width: 100%; height: auto; max-width: 800px; display: block; margin: .5rem 0 1.5rem; }
    svg text { font-family: inherit; font-size: 12px; fill: var(--ink); }
    svg .tick { fill: var(--muted); font-size: 11px; }
    svg .label { font-size: 12.5px; fill: var(--muted); }
    svg .grid { stroke: #eceff3; stroke-width: 1; }
    svg .frame { fill: none; stroke: #b9c0cc; stroke-width: 1; }
    svg .band { fill-opacity: .13; stroke: none; }
    svg circle { stroke: #fff; stroke-width: 1; }
    svg .bars .clean, svg rect.clean { fill: #dde3ec; }
    svg .value { fill: var(--muted); font-size: 11.5px; }
    .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 1rem; }
    .gallery figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: .75rem; }
    .gallery .images { display: flex; gap: .5rem; }
    .gallery .images div { text-align: center; font-size: 11.5px; color: var(--muted); }
    .gallery img { display: block; image-rendering: pixelated; image-rendering: crisp-edges; border: 1px solid var(--line); background: var(--soft); }
    .gallery figcaption { font-size: 13px; margin-top: .5rem; }
    .fooled { color: #c03a2b; font-weight: 600; }
    .held { color: #2e7d32; font-weight: 600; }
    .badge { display: inline-block; min-width: 3.6em; text-align: center; padding: .1em .5em; border-radius: 4px; font-size: 11.5px; font-weight: 700; letter-spacing: .04em; }
    .badge.pass { background: #e3f4e6; color: #1f6b2c; }
    .badge.warn { background: #fff3d6; color: #8a5a00; }
    .badge.fail { background: #fde4e1; color: #a52a1c; }
    @media (max-width: 900px) { .meta { grid-template-columns: 1fr; } }
    @media print { nav { display: none; } main { max-width: none; } }
    """
}
