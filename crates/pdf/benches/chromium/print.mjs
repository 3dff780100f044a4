// Prints an HTML notice to PDF with headless Chromium, as a web-based
// counter system would: one browser, one page, page.pdf() N times after a
// warm-up. Usage: node print.mjs CHROMIUM HTML OUT.pdf N
// Prints launch_ms, ms_per_pdf (mean of N warm prints) and bytes.
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [exe, htmlPath, out, nArg] = process.argv.slice(2);
const n = Math.max(1, Number(nArg) || 1);
const html = readFileSync(htmlPath, 'utf8');
let t = performance.now();
const browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.setContent(html, { waitUntil: 'load' });
const launch = performance.now() - t;
const opts = { format: 'A4', preferCSSPageSize: true, printBackground: false };
let pdf = await page.pdf(opts);
t = performance.now();
for (let i = 0; i < n; i++) pdf = await page.pdf(opts);
const per = (performance.now() - t) / n;
writeFileSync(out, pdf);
await browser.close();
console.log(`launch_ms: ${launch.toFixed(1)}`);
console.log(`ms_per_pdf: ${per.toFixed(2)}`);
console.log(`bytes: ${pdf.length}`);
