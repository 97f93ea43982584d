import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { TCC_PARTICIPANT, TccParticipantHandler } from '../participant';

/**
 * Finds every provider marked `@TccParticipant(name)` at start-up. Two different providers
 * claiming one name would make confirm/cancel ambiguous, so start-up fails instead.
 */
@Injectable()
export class ParticipantRegistry implements OnModuleInit {
  private readonly logger = new Logger(ParticipantRegistry.name);
  private readonly handlers = new Map<string, TccParticipantHandler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { metatype } = wrapper;
      const instance: unknown = wrapper.instance;
      if (!metatype || !instance || typeof metatype !== 'function') continue;
      const name = this.reflector.get<string | undefined>(TCC_PARTICIPANT, metatype);
      if (!name) continue;
      const existing = this.handlers.get(name);
      if (existing && existing !== instance) {
        throw new Error(`Two TCC participants are named '${name}' (${existing.constructor.name}, ${metatype.name})`);
      }
      this.assertHandler(name, instance as TccParticipantHandler);
      this.handlers.set(name, instance as TccParticipantHandler);
    }
    this.logger.log({ participants: [...this.handlers.keys()] }, 'TCC participants registered');
  }

  /** The handler of `name`; a missing one is a programming error (wrong name or module not imported). */
  require(name: string): TccParticipantHandler {
    const handler = this.handlers.get(name);
    if (!handler) throw new Error(`No TCC participant named '${name}' is registered`);
    return handler;
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }

  private assertHandler(name: string, h: TccParticipantHandler): void {
    for (const method of ['try', 'confirm', 'cancel'] as const) {
      if (typeof h[method] !== 'function') throw new Error(`TCC participant '${name}' has no ${method}() method`);
    }
  }
}
