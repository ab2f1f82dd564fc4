import { it } from 'vitest';
import { demoContracts, demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { Product } from '../support/product';
it('dbg', async () => {
  const product = await Product.start();
  const s = await product.uploadRatings(demoRatingsCsv([...DEMO_LOCATIONS]));
  console.log(JSON.stringify(s).slice(0, 1500));
  await product.runtime.idle();
  console.log(product.allMail().map((m) => m.subject));
  console.log(JSON.stringify(await (await product.api('GET', '/api/cases')).json()).slice(0, 1500));
  await product.close();
});
