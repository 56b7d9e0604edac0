/**
 * rqspinlock, the resilient queued spin lock of Linux 6.15+ (kernel/bpf/rqspinlock.c),
 * in Java: {@link rqspin.lock.RqSpinLock}, its baseline {@link rqspin.lock.QSpinLock},
 * and the CPUs ({@link rqspin.lock.Machine}, {@link rqspin.lock.Cpu}) and clocks they run on.
 * Every step of the locks is a {@link rqspin.lock.Step}, named after the spec action that models
 * it, which a {@link rqspin.lock.StepGate} of the machine may observe or schedule.
 */
package rqspin.lock;
