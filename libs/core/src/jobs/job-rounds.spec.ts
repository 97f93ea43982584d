import { SchedulerRegistry } from '@nestjs/schedule';
import { sleep } from '../async/poll';
import type { AppConfig } from '../config/app-config';
import { JobRounds } from './job-rounds';

function rounds(deadlineMs = 100): JobRounds {
  return new JobRounds(new SchedulerRegistry(), { jobsEnabled: true, jobRoundDeadlineMs: deadlineMs } as AppConfig);
}

describe('JobRounds', () => {
  it('never runs two rounds of one job at once: a call while one runs joins it', async () => {
    const jobs = rounds(1000);
    let started = 0;
    const round = async () => {
      started++;
      await sleep(50);
      return started;
    };
    const results = await Promise.all([jobs.run('a', round), jobs.run('a', round), jobs.run('a', round)]);
    expect(results).toEqual([1, 1, 1]);
    expect(await jobs.run('a', round)).toBe(2);
  });

  it('abandons a stuck round at its deadline (aborting it) and lets the next one run', async () => {
    const jobs = rounds(80);
    let signalOfStuck: AbortSignal | undefined;
    const stuck = jobs.run('b', (signal) => {
      signalOfStuck = signal;
      return new Promise<never>(() => undefined);
    });
    await expect(stuck).rejects.toThrow(/abandoned/);
    expect(signalOfStuck!.aborted).toBe(true);
    await expect(jobs.run('b', async () => 'next')).resolves.toBe('next');
  });

  it('on shutdown stops taking rounds and waits for the running one', async () => {
    const jobs = rounds(1000);
    let finished = false;
    void jobs.run('c', async () => {
      await sleep(60);
      finished = true;
    });
    await jobs.beforeApplicationShutdown();
    expect(finished).toBe(true);
    await expect(jobs.run('c', async () => 1)).rejects.toThrow(/shutting down/);
  });
});
