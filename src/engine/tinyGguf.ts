/**
 * Tiny LLaMA-architecture GGUF models written from scratch, for checking a llama.cpp binary: each
 * weight matrix in the requested type (F32, F16, Q8_0, Q4_0), so that evaluating the model runs
 * that type's matrix-multiply kernels. Random weights (seeded), a SentencePiece-style vocabulary
 * of control, byte and letter tokens; about 100–400 KB. No node-llama-cpp here: plain bytes.
 */
import fs from "node:fs";

export const TINY_GGUF_TYPES = ["F32", "F16", "Q8_0", "Q4_0"] as const;
export type TinyGgufType = (typeof TINY_GGUF_TYPES)[number];

/** ggml type ids and GGUF general.file_type values. */
const GGML_TYPE: Record<TinyGgufType, number> = {F32: 0, F16: 1, Q4_0: 2, Q8_0: 8};
const FILE_TYPE: Record<TinyGgufType, number> = {F32: 0, F16: 1, Q4_0: 2, Q8_0: 7};

const N_EMBD = 64;
const N_HEAD = 4;
const N_HEAD_KV = 2;
const N_FF = 128;
const N_LAYER = 2;
const ALIGNMENT = 32;

/** The vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then "▁" + letters and letters. */
function vocabulary(): {tokens: string[]; scores: number[]; types: number[]} {
    const tokens = ["<unk>", "<s>", "</s>"];
    const types = [2, 3, 3];
    for (let b = 0; b < 256; b++) {
        tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
        types.push(6);
    }
    const letters = "abcdefghijklmnopqrstuvwxyz";
    for (const c of letters) {
        tokens.push(`▁${c}`);
        types.push(1);
    }
    for (const c of letters) {
        tokens.push(c);
        types.push(1);
    }
    tokens.push("▁");
    types.push(1);
    // Pad to a multiple of 32 so that every dimension suits every block type.
    while (tokens.length % 32 !== 0) {
        tokens.push(`▁${letters[tokens.length % 26]}${letters[(tokens.length * 7) % 26]}`);
        types.push(1);
    }
    const scores = tokens.map((_, i) => (types[i] === 1 ? -i : 0));
    return {tokens, scores, types};
}

/** xorshift32: deterministic weights. */
function rng(seed: number): () => number {
    let s = seed >>> 0 || 1;
    return () => {
        s ^= s << 13;
        s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5;
        s >>>= 0;
        return s / 4294967296;
    };
}

function gaussian(next: () => number): number {
    const u = Math.max(next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half from a float (round to nearest; tiny values flush to zero, huge ones saturate). */
export function toHalf(value: number): number {
    f32[0] = value;
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    let mant = x & 0x7fffff;
    if (exp <= 0) return sign;
    if (exp >= 31) return sign | 0x7bff;
    mant = Math.round(mant / 8192);
    if (mant === 1024) return exp + 1 >= 31 ? sign | 0x7bff : sign | ((exp + 1) << 10);
    return sign | (exp << 10) | mant;
}

function encode(values: Float32Array, type: TinyGgufType): Buffer {
    switch (type) {
        case "F32":
            return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
        case "F16": {
            const out = Buffer.alloc(values.length * 2);
            for (let i = 0; i < values.length; i++) out.writeUInt16LE(toHalf(values[i]), i * 2);
            return out;
        }
        case "Q8_0": {
            // block: f16 scale d, 32 × int8 q; x ≈ d·q (ggml's quantize_row_q8_0_ref)
            const blocks = values.length / 32;
            const out = Buffer.alloc(blocks * 34);
            for (let b = 0; b < blocks; b++) {
                let amax = 0;
                for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[b * 32 + j]));
                const d = amax / 127;
                const id = d === 0 ? 0 : 1 / d;
                out.writeUInt16LE(toHalf(d), b * 34);
                for (let j = 0; j < 32; j++) out.writeInt8(Math.max(-127, Math.min(127, Math.round(values[b * 32 + j] * id))), b * 34 + 2 + j);
            }
            return out;
        }
        case "Q4_0": {
            // block: f16 scale d, 16 bytes of nibbles; x ≈ d·(q − 8) (ggml's quantize_row_q4_0_ref)
            const blocks = values.length / 32;
            const out = Buffer.alloc(blocks * 18);
            for (let b = 0; b < blocks; b++) {
                let amax = 0;
                let max = 0;
                for (let j = 0; j < 32; j++) {
                    const v = values[b * 32 + j];
                    if (Math.abs(v) > amax) {
                        amax = Math.abs(v);
                        max = v;
                    }
                }
                const d = max / -8;
                const id = d === 0 ? 0 : 1 / d;
                out.writeUInt16LE(toHalf(d), b * 18);
                for (let j = 0; j < 16; j++) {
                    const q0 = Math.min(15, Math.trunc(values[b * 32 + j] * id + 8.5));
                    const q1 = Math.min(15, Math.trunc(values[b * 32 + 16 + j] * id + 8.5));
                    out.writeUInt8(q0 | (q1 << 4), b * 18 + 2 + j);
                }
            }
            return out;
        }
    }
}

class GgufWriter {
    private readonly parts: Buffer[] = [];
    private kvCount = 0;

    private static str(s: string): Buffer {
        const bytes = Buffer.from(s, "utf8");
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(bytes.length));
        return Buffer.concat([len, bytes]);
    }

    private key(name: string, type: number): void {
        const t = Buffer.alloc(4);
        t.writeUInt32LE(type);
        this.parts.push(GgufWriter.str(name), t);
        this.kvCount++;
    }

    string(name: string, value: string): void {
        this.key(name, 8);
        this.parts.push(GgufWriter.str(value));
    }

    uint32(name: string, value: number): void {
        this.key(name, 4);
        const b = Buffer.alloc(4);
        b.writeUInt32LE(value);
        this.parts.push(b);
    }

    float32(name: string, value: number): void {
        this.key(name, 6);
        const b = Buffer.alloc(4);
        b.writeFloatLE(value);
        this.parts.push(b);
    }

    array(name: string, elementType: 8 | 6 | 5, values: readonly (string | number)[]): void {
        this.key(name, 9);
        const head = Buffer.alloc(12);
        head.writeUInt32LE(elementType, 0);
        head.writeBigUInt64LE(BigInt(values.length), 4);
        this.parts.push(head);
        for (const v of values) {
            if (elementType === 8) this.parts.push(GgufWriter.str(String(v)));
            else {
                const b = Buffer.alloc(4);
                if (elementType === 6) b.writeFloatLE(Number(v));
                else b.writeInt32LE(Number(v));
                this.parts.push(b);
            }
        }
    }

    /** The whole file: header, metadata, tensor infos, aligned tensor data. */
    finish(tensors: readonly {name: string; dims: readonly number[]; type: number; data: Buffer}[]): Buffer {
        const infos: Buffer[] = [];
        const datas: Buffer[] = [];
        let offset = 0;
        for (const t of tensors) {
            const info = Buffer.alloc(4 + 8 * t.dims.length + 4 + 8);
            info.writeUInt32LE(t.dims.length, 0);
            t.dims.forEach((d, i) => info.writeBigUInt64LE(BigInt(d), 4 + 8 * i));
            info.writeUInt32LE(t.type, 4 + 8 * t.dims.length);
            info.writeBigUInt64LE(BigInt(offset), 8 + 8 * t.dims.length);
            infos.push(GgufWriter.str(t.name), info);
            const padded = Math.ceil(t.data.length / ALIGNMENT) * ALIGNMENT;
            datas.push(t.data, Buffer.alloc(padded - t.data.length));
            offset += padded;
        }
        const header = Buffer.alloc(24);
        header.write("GGUF", 0, "latin1");
        header.writeUInt32LE(3, 4);
        header.writeBigUInt64LE(BigInt(tensors.length), 8);
        header.writeBigUInt64LE(BigInt(this.kvCount), 16);
        const head = Buffer.concat([header, ...this.parts, ...infos]);
        const pad = Buffer.alloc((ALIGNMENT - (head.length % ALIGNMENT)) % ALIGNMENT);
        return Buffer.concat([head, pad, ...datas]);
    }
}

/** The bytes of a tiny model whose every weight matrix is of `type`. */
export function tinyGguf(type: TinyGgufType, seed = 1): Buffer {
    const {tokens, scores, types} = vocabulary();
    const nVocab = tokens.length;
    const w = new GgufWriter();
    w.string("general.architecture", "llama");
    w.string("general.name", `llmgen smoke test ${type}`);
    w.uint32("general.file_type", FILE_TYPE[type]);
    w.uint32("llama.context_length", 256);
    w.uint32("llama.embedding_length", N_EMBD);
    w.uint32("llama.block_count", N_LAYER);
    w.uint32("llama.feed_forward_length", N_FF);
    w.uint32("llama.attention.head_count", N_HEAD);
    w.uint32("llama.attention.head_count_kv", N_HEAD_KV);
    w.uint32("llama.rope.dimension_count", N_EMBD / N_HEAD);
    w.float32("llama.attention.layer_norm_rms_epsilon", 1e-5);
    w.string("tokenizer.ggml.model", "llama");
    w.array("tokenizer.ggml.tokens", 8, tokens);
    w.array("tokenizer.ggml.scores", 6, scores);
    w.array("tokenizer.ggml.token_type", 5, types);
    w.uint32("tokenizer.ggml.bos_token_id", 1);
    w.uint32("tokenizer.ggml.eos_token_id", 2);
    w.uint32("tokenizer.ggml.unknown_token_id", 0);

    const next = rng(seed * 2654435761);
    const matrix = (cols: number, rows: number, scale: number): Float32Array => {
        const m = new Float32Array(cols * rows);
        for (let i = 0; i < m.length; i++) m[i] = gaussian(next) * scale;
        return m;
    };
    const ones = (n: number): Buffer => encode(new Float32Array(n).fill(1), "F32");
    const kv = (N_EMBD / N_HEAD) * N_HEAD_KV;
    const t = GGML_TYPE[type];
    const mat = (name: string, cols: number, rows: number, scale: number) =>
        ({name, dims: [cols, rows], type: t, data: encode(matrix(cols, rows, scale), type)});
    const tensors = [
        mat("token_embd.weight", N_EMBD, nVocab, 1),
        {name: "output_norm.weight", dims: [N_EMBD], type: 0, data: ones(N_EMBD)},
        mat("output.weight", N_EMBD, nVocab, 0.5)
    ];
    for (let l = 0; l < N_LAYER; l++) {
        tensors.push(
            {name: `blk.${l}.attn_norm.weight`, dims: [N_EMBD], type: 0, data: ones(N_EMBD)},
            mat(`blk.${l}.attn_q.weight`, N_EMBD, N_EMBD, 0.125),
            mat(`blk.${l}.attn_k.weight`, N_EMBD, kv, 0.125),
            mat(`blk.${l}.attn_v.weight`, N_EMBD, kv, 0.125),
            mat(`blk.${l}.attn_output.weight`, N_EMBD, N_EMBD, 0.125),
            {name: `blk.${l}.ffn_norm.weight`, dims: [N_EMBD], type: 0, data: ones(N_EMBD)},
            mat(`blk.${l}.ffn_gate.weight`, N_EMBD, N_FF, 0.125),
            mat(`blk.${l}.ffn_down.weight`, N_FF, N_EMBD, 0.09),
            mat(`blk.${l}.ffn_up.weight`, N_EMBD, N_FF, 0.125)
        );
    }
    return w.finish(tensors);
}

/** Write a tiny model of `type` to `file` (through a temporary name, so no half-written file stays). */
export function writeTinyGguf(file: string, type: TinyGgufType, seed = 1): void {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, tinyGguf(type, seed));
    fs.renameSync(tmp, file);
}
