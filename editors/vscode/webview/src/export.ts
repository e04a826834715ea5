// The drawing as a standalone SVG file: the whole graph (not the zoomed view), with the
// theme's colours written onto each element, since the page's stylesheet and VS Code's
// variables do not travel with the file.

import type { Drawing } from "./render";

const PROPERTIES = ["fill", "stroke", "stroke-width", "stroke-dasharray", "opacity", "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline"];
const PAD = 8;

export function exportSvg(drawing: Drawing): string {
  const copy = drawing.svg.cloneNode(true) as SVGSVGElement;
  const originals = [drawing.svg, ...Array.from(drawing.svg.querySelectorAll("*"))];
  const copies = [copy, ...Array.from(copy.querySelectorAll("*"))];
  originals.forEach((original, i) => {
    const target = copies[i] as SVGElement;
    if (original instanceof SVGTitleElement) return;
    const style = getComputedStyle(original);
    for (const p of PROPERTIES) target.setAttribute(p, style.getPropertyValue(p));
    target.removeAttribute("class");
    target.removeAttribute("tabindex");
    target.removeAttribute("role");
  });
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  const width = Math.ceil(drawing.width + 2 * PAD);
  const height = Math.ceil(drawing.height + 2 * PAD);
  copy.setAttribute("width", String(width));
  copy.setAttribute("height", String(height));
  copy.setAttribute("viewBox", `${-PAD} ${-PAD} ${width} ${height}`);
  copy.querySelector("g")?.removeAttribute("transform");
  const background = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  for (const [k, v] of Object.entries({ x: -PAD, y: -PAD, width, height })) background.setAttribute(k, String(v));
  background.setAttribute("fill", getComputedStyle(document.body).backgroundColor);
  copy.insertBefore(background, copy.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}
