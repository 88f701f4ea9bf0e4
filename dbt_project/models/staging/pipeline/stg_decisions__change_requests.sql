-- The meeting's change requests (sop/stages/decisions.py) that this cycle's run takes in: those asked in its own
-- meeting or an earlier cycle's. An override request becomes a planner override (int_overrides_matched), a capacity
-- request extra hours (int_capacity_bucketed); the network plan takes in the expedites.
with source as (
    {{ optional_source('decisions', 'change_requests', {
        'decision_id': text(), 'cycle_id': text(), 'change_kind': text(), 'exception_id': text(), 'sku_id': text(),
        'location_id': text(), 'family_id': text(), 'region': text(), 'month_date': 'date', 'override_qty': double(),
        'override_pct': double(), 'resource_id': text(), 'extra_hours': double(), 'from_month_date': 'date',
        'to_month_date': 'date', 'supplier_id': text(), 'item_id': text(), 'expedite_months': dbt.type_int(),
        'decided_by': text(), 'decided_at': dbt.type_timestamp(), 'reason': text()
    }) }}
)

select *
from source
where cycle_id <= '{{ cycle_id() }}'
