package notify

import (
	"context"
	"time"
)

// job is one message to one recipient.
type job struct {
	alertID   int64
	recipient string
	send      func(context.Context) error
}

// lane is one channel's bounded queue and its worker: the mail server and
// each webhook have their own, so a webhook being retried holds up
// neither the e-mails nor the other webhooks.
type lane struct {
	channel string
	jobs    chan job
}

func (d *Dispatcher) startLane(channel string) *lane {
	l := &lane{channel: channel, jobs: make(chan job, d.opts.QueueSize)}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			select {
			case <-d.ctx.Done():
				for {
					select {
					case j := <-l.jobs:
						d.done(l, j, ErrClosed)
					default:
						return
					}
				}
			case j := <-l.jobs:
				d.done(l, j, j.send(d.ctx))
			}
		}
	}()
	return l
}

// enqueue hands the job to the lane's worker without waiting: a full
// queue (or a closed dispatcher) fails the notification at once.
func (d *Dispatcher) enqueue(_ context.Context, l *lane, id int64, recipient string, send func(context.Context) error) bool {
	j := job{alertID: id, recipient: recipient, send: send}
	if d.ctx.Err() != nil {
		d.done(l, j, ErrClosed)
		return false
	}
	select {
	case l.jobs <- j:
		return true
	default:
		d.done(l, j, ErrQueueFull)
		return false
	}
}

// done counts, logs and audits one notification's outcome.
func (d *Dispatcher) done(l *lane, j job, err error) {
	action := ActionSent
	if err != nil {
		action = ActionFailed
		d.metrics.failed.WithLabelValues(l.channel).Inc()
		d.log.Warn("alert notification failed", "alert", j.alertID, "to", j.recipient, "err", err)
	} else {
		d.metrics.sent.WithLabelValues(l.channel).Inc()
	}
	if d.opts.Audit != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.opts.Audit(ctx, action, j.alertID, j.recipient)
	}
}
