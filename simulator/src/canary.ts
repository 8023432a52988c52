/** Every secret the simulator issues or ships in its default world contains this marker (so a scanner can prove none leaks). */
export const CANARY = 'SIMCANARY';
