import { launchBrowser, seriousViolations, screenshot } from '/work/main/test/support/browser';
const browser = await launchBrowser();
const page = await browser.newPage();
page.on('console', (m) => console.log('console:', m.type(), m.text().slice(0, 200)));
await page.goto('http://127.0.0.1:38823/login?token=FySC2RwaBQFFnJI2LaqIcKGq&next=/cases');
console.log(page.url());
try { console.log(await seriousViolations(page)); } catch (e) { console.log('ERR', (e as Error).message.slice(0, 300)); }
await browser.close();
