# Values yielded by a generator reach the loop variable.


def task_a():
    pass


def task_b():
    pass


def tasks():
    yield task_a
    yield task_b


def run_all():
    for task in tasks():  # WANT: generators.run_all -> generators.tasks
        task()  # WANT: generators.run_all -> generators.task_a
        # WANT: generators.run_all -> generators.task_b


run_all()  # WANT: generators -> generators.run_all
