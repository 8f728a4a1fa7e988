// npm run make-model -- --out DIR --layers L --heads H --dim D --ctx N --seed S
import { parseArgs } from 'node:util';
import { makeModel } from './make-model';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    layers: { type: 'string', default: '2' },
    heads: { type: 'string', default: '4' },
    dim: { type: 'string', default: '64' },
    ctx: { type: 'string', default: '128' },
    seed: { type: 'string', default: '0' },
  },
});

function positive(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < (name === 'seed' ? 0 : 1)) {
    console.error(`make-model: --${name} must be a ${name === 'seed' ? 'non-negative' : 'positive'} whole number`);
    process.exit(2);
  }
  return n;
}

if (!values.out) {
  console.error('usage: npm run make-model -- --out DIR [--layers L --heads H --dim D --ctx N --seed S]');
  process.exit(2);
}
const options = { nLayer: positive('layers'), nHead: positive('heads'), nEmbd: positive('dim'), nCtx: positive('ctx'), seed: positive('seed') };
if (options.nEmbd % options.nHead !== 0) {
  console.error('make-model: --dim must be divisible by --heads');
  process.exit(2);
}
makeModel(values.out, options);
console.log(`wrote a random GPT-2 (${options.nLayer} layers, ${options.nHead} heads, d=${options.nEmbd}, ctx ${options.nCtx}, seed ${options.seed}) to ${values.out}`);
