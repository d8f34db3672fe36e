class Scheduler {
  schedule() {}
}
class Action {
  // No Scheduler reaches the field or the parameter: the declared class
  // is assumed.
  constructor(private scheduler: Scheduler) {}
  run() {
    this.scheduler.schedule();
  }
}
export function schedule(scheduler: Scheduler) {
  scheduler.schedule();
}
// WANT: declared_assumed.Action.run -> declared_assumed.Scheduler.schedule
// WANT: declared_assumed.schedule -> declared_assumed.Scheduler.schedule
