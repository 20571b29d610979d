/** What the route probe runs (shared by the probe and the route tests; no side effects). */
export interface StreamResult {
    strategy: string;
    seed: number;
    samples: number[][];
}

export const PROMPT = "Once upon a time";

export const SAMPLING_CASES: ReadonlyArray<{strategy: string; seed: number}> = [
    {strategy: "greedy", seed: 0},
    {strategy: "top-p=0.9", seed: 1},
    {strategy: "top-p=0.9", seed: 42},
    {strategy: "temperature=0.8,top-k=40,top-p=0.9,min-p=0.05", seed: 7},
    {strategy: "random", seed: 3}
];
