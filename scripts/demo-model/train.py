#!/usr/bin/python3
"""Maintainer tool: trains the demo GPT-2 that ships in demo-model/ (not part of npm install or npm test).

Needs Debian's PyTorch and a fast BLAS (the reference BLAS is ~30x slower):
    apt-get install python3-torch python3-numpy libopenblas0-openmp
Then, from the repository root, the three phases the shipped model went through (about 2.5 hours on 2 cores;
each phase resumes from the last one's weights with a fresh optimiser and schedule, see MODEL_CARD.md):
    npx tsx scripts/demo-model/prepare-corpus.ts --out /tmp/glassbox-corpus
    T=scripts/demo-model/train.py; D=/tmp/glassbox-corpus
    /usr/bin/python3 $T --data $D --out /tmp/p1
    /usr/bin/python3 $T --data $D --out /tmp/p2 --resume /tmp/p1/model.safetensors --steps 5600 --stop-at 2500 \
        --lr 2e-3 --warmup 100 --min-count 10 --bf16 --brown-share 0.5 --full-vocab-steps 150 --eval-every 500
    /usr/bin/python3 $T --data $D --out /tmp/p3 --resume /tmp/p2/checkpoint.safetensors --steps 4100 --lr 1.5e-3 \
        --warmup 50 --min-count 10 --bf16 --brown-share 0.5 --full-vocab-steps 250 --eval-every 400 \
        --position-decay 0 --add-sinusoidal-positions 1.0
    npx tsx scripts/demo-model/finish.ts --trained /tmp/p3 --corpus /tmp/glassbox-corpus --out demo-model
    npm run build && npx tsx scripts/demo-model/evaluate.ts --corpus /tmp/glassbox-corpus

The model is GPT-2 exactly as Hugging Face's GPT2LMHeadModel computes it (pre-LN blocks, gelu_new, tied
unembedding, learned positions), written in the Hub's layout: config.json with model_type gpt2 and
model.safetensors with the Hub's tensor names, Conv1D weights stored [in, out]. The tokenizer files are
written by the engine (scripts/demo-model/finish.ts), the same the CLI's make-model writes.

Reproducible: fixed seeds, one thread pool of 2, a fixed number of steps; the loss curve goes to
training-log.tsv beside the weights.
"""

import argparse
import json
import math
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 50257


class Block(nn.Module):
    def __init__(self, d, n_head, dropout):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)
        self.dropout = dropout

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)  # each [B, T, D]
        q, k, v = (t.view(B, T, self.n_head, D // self.n_head).transpose(1, 2) for t in (q, k, v))  # [B, H, T, Dh]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // self.n_head)  # [B, H, T, T]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = F.softmax(att.masked_fill(~mask, float('-inf')), dim=-1)
        att = F.dropout(att, self.dropout, self.training)
        z = (att @ v).transpose(1, 2).reshape(B, T, D)  # [B, T, D]
        x = x + F.dropout(self.c_proj(z), self.dropout, self.training)
        h = F.gelu(self.c_fc(self.ln_2(x)), approximate='tanh')  # gelu_new
        return x + F.dropout(self.mlp_proj(h), self.dropout, self.training)


class Gpt2(nn.Module):
    def __init__(self, n_layer, n_head, d, n_ctx, dropout):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, d)
        self.wpe = nn.Embedding(n_ctx, d)
        self.h = nn.ModuleList(Block(d, n_head, dropout) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        self.dropout = dropout
        for name, p in self.named_parameters():
            if name.endswith('bias'):
                nn.init.zeros_(p)
            elif 'ln_' in name:
                nn.init.ones_(p)
            else:
                # GPT-2's init: N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer)
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith(('c_proj.weight', 'mlp_proj.weight')) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids, vocab=None):  # ids [B, T]; vocab: the token ids to score (all when None)
        T = ids.shape[1]
        x = F.dropout(self.wte(ids) + self.wpe(torch.arange(T)), self.dropout, self.training)  # [B, T, D]
        for block in self.h:
            x = block(x)
        unembed = self.wte.weight if vocab is None else self.wte.weight[vocab]  # [V', D], tied
        return self.ln_f(x) @ unembed.T  # [B, T, V']


def load_ids(path):
    return torch.from_numpy(np.fromfile(path, dtype='<u2').astype(np.int64))


@torch.no_grad()
def held_out_loss(model, ids, n_ctx, limit=None, vocab=None, position=None):
    """
    Mean next-token cross-entropy over non-overlapping windows of n_ctx tokens (the first `limit` tokens).
    With `vocab` (and `position`, ids → index in it), over those tokens only, skipping targets outside them:
    what the restricted training optimises, before the last full-vocabulary steps calibrate the rest.
    """
    ids = ids if limit is None else ids[:limit + 1]
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(ids) - 1, n_ctx):
        chunk = ids[start:start + n_ctx + 1]
        if len(chunk) < 2:
            break
        logits = model(chunk[:-1].unsqueeze(0), vocab)[0]
        targets = chunk[1:] if vocab is None else position[chunk[1:]]
        keep = targets >= 0
        total += F.cross_entropy(logits[keep], targets[keep], reduction='sum').item()
        count += int(keep.sum())
    model.train()
    return total / count


def hub_tensors(model, n_layer):
    """The Hub's names and layouts: Conv1D weights transposed to [in, out]."""
    return {name: (p.T if transposed else p).detach().contiguous().float().numpy() for name, (p, transposed) in hub_tensors_params(model, n_layer).items()}


def write_safetensors(path, tensors, metadata):
    header = {'__metadata__': metadata}
    offset = 0
    for name, a in tensors.items():
        header[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - (8 + len(text.encode())) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text.encode())))
        f.write(text.encode())
        for a in tensors.values():
            f.write(a.astype('<f4').tobytes())


def save(model, args, path, step, summary=None):
    meta = {'format': 'pt', 'glassbox.step': str(step)}
    if summary is not None:
        meta['glassbox.trained'] = json.dumps(summary)
    write_safetensors(path, hub_tensors(model, args.layers), meta)


def load_checkpoint(model, path, n_layer):
    """Loads weights written by save() (Hub names and layouts) into `model`; returns the step they were at."""
    with open(path, 'rb') as f:
        length = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    params = hub_tensors_params(model, n_layer)
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        begin, end = entry['data_offsets']
        value = torch.from_numpy(np.frombuffer(data[begin:end], dtype='<f4').copy().reshape(entry['shape']))
        param, transposed = params[name]
        with torch.no_grad():
            param.copy_(value.T if transposed else value)
    return int(header['__metadata__']['glassbox.step'])


def hub_tensors_params(model, n_layer):
    """Hub name → (parameter, whether the Hub stores it transposed)."""
    out = {'wte.weight': (model.wte.weight, False), 'wpe.weight': (model.wpe.weight, False),
           'ln_f.weight': (model.ln_f.weight, False), 'ln_f.bias': (model.ln_f.bias, False)}
    for l, b in enumerate(model.h):
        p = f'h.{l}'
        out.update({
            f'{p}.ln_1.weight': (b.ln_1.weight, False), f'{p}.ln_1.bias': (b.ln_1.bias, False),
            f'{p}.attn.c_attn.weight': (b.c_attn.weight, True), f'{p}.attn.c_attn.bias': (b.c_attn.bias, False),
            f'{p}.attn.c_proj.weight': (b.c_proj.weight, True), f'{p}.attn.c_proj.bias': (b.c_proj.bias, False),
            f'{p}.ln_2.weight': (b.ln_2.weight, False), f'{p}.ln_2.bias': (b.ln_2.bias, False),
            f'{p}.mlp.c_fc.weight': (b.c_fc.weight, True), f'{p}.mlp.c_fc.bias': (b.c_fc.bias, False),
            f'{p}.mlp.c_proj.weight': (b.mlp_proj.weight, True), f'{p}.mlp.c_proj.bias': (b.mlp_proj.bias, False),
        })
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--dim', type=int, default=128)
    ap.add_argument('--ctx', type=int, default=256)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--steps', type=int, default=1400)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--warmup', type=int, default=150)
    ap.add_argument('--dropout', type=float, default=0.0)
    ap.add_argument('--full-vocab-steps', type=int, default=100)
    ap.add_argument('--min-count', type=int, default=1,
                    help='until the full-vocabulary steps, score only tokens occurring at least this often in the training text')
    ap.add_argument('--bf16', action='store_true', help='bfloat16 autocast for the matrix products (the weights and optimiser stay float32)')
    ap.add_argument('--brown-share', type=float, default=0.0,
                    help="the share of each batch's windows drawn from Brown's training samples alone (train-brown.u16); the rest from train.u16")
    ap.add_argument('--eval-every', type=int, default=200)
    ap.add_argument('--position-decay', type=float, default=0.1, help="weight decay on wpe (the other matrices' is 0.1)")
    ap.add_argument('--add-sinusoidal-positions', type=float, default=0.0,
                    help='add sinusoidal position embeddings of this row norm to wpe before training (see below)')
    ap.add_argument('--seed', type=int, default=0)
    # A resumed run starts a fresh optimiser, batch order and learning-rate schedule (warm-up, then cosine) at the
    # checkpoint's step and runs to --steps: a second phase of training, reproducible as such.
    ap.add_argument('--resume', help='a checkpoint.safetensors to start from (its step is in its metadata)')
    ap.add_argument('--stop-at', type=int, help='end after the checkpoint of this step (an --eval-every multiple), keeping the schedule of --steps')
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    train = load_ids(f'{args.data}/train.u16')
    train_brown = load_ids(f'{args.data}/train-brown.u16') if args.brown_share > 0 else None
    brown = load_ids(f'{args.data}/heldout-brown.u16')
    sotu = load_ids(f'{args.data}/heldout-sotu.u16')
    code = load_ids(f'{args.data}/heldout-code.u16')
    model = Gpt2(args.layers, args.heads, args.dim, args.ctx, args.dropout)
    first_step = 0
    if args.resume:
        first_step = load_checkpoint(model, args.resume, args.layers)
    if args.add_sinusoidal_positions > 0:
        # Learned positions start as noise and, at this scale of training, stayed nearly so (the first run's
        # rows were as alike at distance 10 as at distance 1): no head could find the previous token. Sines
        # and cosines (Vaswani et al., 2017) make "one back" a fixed rotation, so a head can learn it; wpe
        # stays an ordinary learned table in the Hub's layout.
        with torch.no_grad():
            position = torch.arange(args.ctx, dtype=torch.float32).unsqueeze(1)
            frequency = torch.exp(torch.arange(0, args.dim, 2, dtype=torch.float32) * (-math.log(10000.0) / args.dim))
            table = torch.zeros(args.ctx, args.dim)
            table[:, 0::2] = torch.sin(position * frequency)
            table[:, 1::2] = torch.cos(position * frequency)
            model.wpe.weight += args.add_sinusoidal_positions * table / table.norm(dim=1, keepdim=True)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and n != 'wpe.weight']
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([
        {'params': decay, 'weight_decay': 0.1},
        {'params': [model.wpe.weight], 'weight_decay': args.position_decay},
        {'params': no_decay, 'weight_decay': 0.0},
    ], lr=args.lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(args.seed)
    # The softmax over 50,257 tokens is most of a step's time (its [batch, ctx, vocab] logits do not fit in the
    # caches), and a third of the tokens never occur in the training text. Until the last steps only tokens
    # occurring at least --min-count times are scored (targets outside them are skipped: 2% of the text at 10);
    # the last --full-vocab-steps score all of them, which teaches the rare tokens and pushes the never-seen
    # tokens' logits down, so the shipped model's full softmax is a proper distribution over the text.
    counts = torch.bincount(train, minlength=VOCAB)
    seen = torch.nonzero(counts >= max(1, args.min_count)).flatten()  # sorted
    position_in_seen = torch.full((VOCAB,), -1, dtype=torch.int64)
    position_in_seen[seen] = torch.arange(len(seen))

    def lr_at(step):
        done = step - first_step
        if done < args.warmup:
            return args.lr * (done + 1) / args.warmup
        progress = (done - args.warmup) / max(1, args.steps - first_step - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    def windows(ids, n):
        starts = torch.randint(0, len(ids) - args.ctx - 1, (n,), generator=gen)
        return [ids[s:s + args.ctx + 1] for s in starts.tolist()]

    log = open(f'{args.out}/training-log.tsv', 'a' if args.resume else 'w')
    if not args.resume:
        log.write('step\tseconds\ttokens\ttrain_loss\theldout_brown_loss\theldout_brown_ppl\theldout_brown_seen_ppl\theldout_sotu_loss\theldout_code_loss\n')
    started = time.time()
    running = None
    for step in range(first_step, args.steps + 1):
        if step % args.eval_every == 0 or step == args.steps:
            # A full pass over the held-out text costs ~20 steps; the curve uses its first 16k tokens.
            limit = None if step == args.steps else 16384
            b = held_out_loss(model, brown, args.ctx, limit)
            seen_b = held_out_loss(model, brown, args.ctx, limit, seen, position_in_seen)
            so = held_out_loss(model, sotu, args.ctx, limit)
            c = held_out_loss(model, code, args.ctx, limit)
            line = f'{step}\t{time.time() - started:.0f}\t{step * args.batch * args.ctx}\t{running if running is not None else float("nan"):.4f}\t{b:.4f}\t{math.exp(b):.1f}\t{math.exp(seen_b):.1f}\t{so:.4f}\t{c:.4f}'
            log.write(line + '\n')
            log.flush()
            print(line, flush=True)
            save(model, args, f'{args.out}/checkpoint.safetensors', step)
        if step == args.steps or step == args.stop_at:
            break
        for group in opt.param_groups:
            group['lr'] = lr_at(step)
        from_brown = round(args.batch * args.brown_share)
        batch = torch.stack(windows(train, args.batch - from_brown) + (windows(train_brown, from_brown) if from_brown else []))  # [B, ctx + 1]
        restricted = step < args.steps - args.full_vocab_steps
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=args.bf16):
            logits = model(batch[:, :-1], seen if restricted else None)  # [B, ctx, V']
        targets = position_in_seen[batch[:, 1:]] if restricted else batch[:, 1:]
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()

    config = {'n_layer': args.layers, 'n_head': args.heads, 'n_embd': args.dim, 'n_positions': args.ctx, 'vocab_size': VOCAB,
              'steps': args.steps, 'batch': args.batch, 'lr': args.lr, 'warmup': args.warmup, 'dropout': args.dropout,
              'full_vocab_steps': args.full_vocab_steps, 'min_count': args.min_count, 'bf16': args.bf16,
              'brown_share': args.brown_share, 'resumed_from_step': first_step, 'seed': args.seed,
              'position_decay': args.position_decay, 'added_sinusoidal_positions': args.add_sinusoidal_positions,
              'seconds': round(time.time() - started), 'training_tokens_seen': (args.steps - first_step) * args.batch * args.ctx,
              'scored_tokens': len(seen)}
    save(model, args, f'{args.out}/model.safetensors', args.steps, config)
    with open(f'{args.out}/training.json', 'w') as f:
        json.dump(config, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
