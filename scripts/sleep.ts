/** The scripts' one sleep. They compile on their own (no `@app/*` paths), so they cannot share core's `sleep`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
