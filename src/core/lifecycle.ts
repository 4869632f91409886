/**
 * Lifecycle contracts of the container. Classes may extend these bases, or
 * just have the methods (duck typing), in either spelling: `afterPropertiesSet`
 * or `after_properties_set`, `setAppContext` or `set_app_context`,
 * `postProcessBeforeInitialization` or `post_process_before_initialization`.
 */

/** Called once all properties are set. May return a Promise, which is awaited. */
export abstract class InitializingObject {
  afterPropertiesSet(): void | Promise<void> {}
}

/** Called when the context closes, in reverse creation order. May return a Promise. */
export abstract class DisposableObject {
  abstract destroy(): void | Promise<void>;
}

/** Sees (and may replace) every object the container creates. */
export abstract class ObjectPostProcessor {
  postProcessBeforeInitialization(obj: unknown, _id: string): unknown {
    return obj;
  }
  postProcessAfterInitialization(obj: unknown, _id: string): unknown {
    return obj;
  }
}

/** Receives the context that created it. */
export abstract class ApplicationContextAware {
  appContext: unknown = undefined;
  setAppContext(ctx: unknown): void {
    this.appContext = ctx;
  }
}

/** The container's lifecycle hooks, in both spellings: never remote methods, never served. */
export const LIFECYCLE_HOOKS: ReadonlySet<string> = new Set([
  "afterPropertiesSet",
  "after_properties_set",
  "destroy",
  "setAppContext",
  "set_app_context",
  "postProcessBeforeInitialization",
  "postProcessAfterInitialization",
  "post_process_before_initialization",
  "post_process_after_initialization",
]);
