// What the benchmark reads from /proc: a process's CPU time and the workerd processes it started.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const close = stat.lastIndexOf(")");
  // Fields after "(comm)": state is field 3, ppid 4, utime 14, stime 15 (proc(5)).
  const fields = stat.slice(close + 2).split(" ");
  return {
    comm: stat.slice(stat.indexOf("(") + 1, close),
    ppid: Number(fields[1]),
    cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK,
  };
}

export const cpuMs = (pid) => procStat(pid).cpuMs;

/** Busy time of the whole machine (all cores), to see what else ran during a round. */
export function machineBusyMs() {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / CLK_TCK;
}

/** The workerd processes this process started (Miniflare spawns one per instance). */
export function workerdChildren() {
  const pids = new Set();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = procStat(entry);
      if (stat.ppid === process.pid && stat.comm === "workerd") pids.add(Number(entry));
    } catch {
      // the process ended between readdir and read
    }
  }
  return pids;
}
