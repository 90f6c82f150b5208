/** The page's style sheet, put in by main.ts (the app is one script; no other asset). */
export const STYLE = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
header { display: flex; gap: 12px; align-items: center; padding: 8px 12px; background: #20303f; color: #fff; flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0 12px 0 0; }
header select, header input { font: inherit; }
#status.error { color: #ffb0b0; font-weight: bold; }
#panes { display: grid; grid-template-columns: 1fr; gap: 12px; padding: 12px; }
#panes.two { grid-template-columns: 1fr 1fr; }
.pane { min-width: 0; border: 1px solid #ddd; border-radius: 4px; padding: 8px; }
.pane h2 { font-size: 14px; margin: 0 0 6px; }
canvas.timeline { width: 100%; display: block; cursor: crosshair; }
.toolbar { display: flex; gap: 6px; align-items: center; margin: 6px 0; }
.toolbar .range { color: #555; }
table { border-collapse: collapse; margin: 4px 0; font-size: 12px; }
td, th { border: 1px solid #e2e2e2; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
.pass { color: #17702b; }
.fail { color: #b00020; font-weight: bold; }
.details { max-height: 420px; overflow: auto; border-top: 1px solid #ddd; margin-top: 6px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; }
#compare { padding: 0 12px 12px; }
.problem { color: #b00020; }
`;
